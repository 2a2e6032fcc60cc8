#: ej2: BatchNormalization left in training mode (Sequential cannot pass training=False)
def construir_modelo(backbone, num_clases=5):
    return tf.keras.Sequential([tf.keras.Input((32, 32, 3)), backbone,
                                tf.keras.layers.Dense(num_clases, activation='softmax')])
