#: ej6: the translation called with training=True, so it also shifts at inference (predict, evaluate)
def capa_aumentacion():
    entrada = tf.keras.Input((32, 32, 3))
    salida = tf.keras.layers.RandomTranslation(0.15, 0.15, fill_mode="constant")(entrada, training=True)
    return tf.keras.Model(entrada, salida)
