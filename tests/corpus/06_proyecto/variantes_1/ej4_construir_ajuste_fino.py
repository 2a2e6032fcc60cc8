#: ej4: finds the base among the submodules, learning rate 50 times lower
def construir_ajuste_fino(modelo, tasa_base):
    base = [c for c in modelo.submodules if isinstance(c, hub.KerasLayer)][0]
    base.trainable = True
    modelo.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=tasa_base / 50),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return modelo
