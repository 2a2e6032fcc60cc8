def modelo_minimo():
    entrada = tf.keras.Input(shape=(28, 28))
    salida = tf.keras.layers.Dense(10, activation=tf.nn.softmax)(tf.keras.layers.Flatten()(entrada))
    return tf.keras.Model(entrada, salida)
