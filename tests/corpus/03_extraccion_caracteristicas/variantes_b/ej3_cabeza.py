def cabeza(num_clases):
    return tf.keras.Sequential([tf.keras.layers.Dropout(0.2),
                                tf.keras.layers.Dense(num_clases, activation=tf.nn.softmax)])
