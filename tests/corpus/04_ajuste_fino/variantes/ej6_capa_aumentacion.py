#: ej6: functional style, factors as (low, high) tuples, plus a horizontal flip (keeps the class)
def capa_aumentacion():
    entrada = tf.keras.Input(shape=(32, 32, 3))
    x = tf.keras.layers.RandomTranslation((-0.125, 0.125), (-0.18, 0.18), fill_mode="constant", fill_value=0)(entrada)
    x = tf.keras.layers.RandomFlip("horizontal")(x)
    return tf.keras.Model(entrada, x, name="aumento")
