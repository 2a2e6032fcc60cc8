#: ej4: builds its own backbone layer, trainable
def modelo_completo(handle, num_clases, tamano=32):
    return tf.keras.Sequential([tf.keras.Input((tamano, tamano, 3)),
                                hub.KerasLayer(handle, trainable=True),
                                tf.keras.layers.Dense(num_clases, activation='softmax')])
