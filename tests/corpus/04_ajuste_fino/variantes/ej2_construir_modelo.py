#: ej2: dropout, logits layer + separate softmax activation
def construir_modelo(backbone, num_clases=5):
    entrada = tf.keras.layers.Input(shape=(32, 32, 3))
    x = tf.keras.layers.Dropout(0.2)(backbone(entrada, training=False))
    x = tf.keras.layers.Dense(num_clases)(x)
    return tf.keras.Model(inputs=entrada, outputs=tf.keras.layers.Activation('softmax')(x))
