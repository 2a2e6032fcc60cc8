#: ej4: recompiles, but with the head's learning rate (not lower)
def construir_ajuste_fino(modelo, tasa_base):
    for capa in modelo.layers:
        if isinstance(capa, hub.KerasLayer):
            capa.trainable = True
    modelo.compile(tf.keras.optimizers.Adam(tasa_base), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return modelo
