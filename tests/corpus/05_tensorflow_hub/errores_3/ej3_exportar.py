#: ej3: exports a freshly built (untrained) model instead of `clasificador`
nuevo = tf.keras.Sequential([tf.keras.Input((32, 32, 3)),
    hub.KerasLayer(spec.handle, trainable=False),
    tf.keras.layers.Dense(5, activation='softmax')])
tf.saved_model.save(nuevo, str(CARPETA_EXPORTACION))
