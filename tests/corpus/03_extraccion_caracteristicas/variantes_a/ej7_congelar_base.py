def congelar_base(modelo):
    for capa in modelo.layers:
        if isinstance(capa, hub.KerasLayer):
            capa.trainable = False
    modelo.compile(optimizer=tf.keras.optimizers.Adam(), loss=modelo.loss, metrics=['accuracy'])
    return modelo
