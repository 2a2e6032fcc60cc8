#: ej6: flips upside down too (RandomFlip in both directions): sandals with the sole on top
def capa_aumentacion():
    return tf.keras.Sequential([
        tf.keras.layers.RandomTranslation(0.15, 0.15, fill_mode="constant"),
        tf.keras.layers.RandomFlip("horizontal_and_vertical"),
    ])
