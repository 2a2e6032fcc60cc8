#: ej6: RandomTranslation's default fill (reflect) mirrors pieces of the garment into the uncovered band
def capa_aumentacion():
    return tf.keras.Sequential([tf.keras.layers.RandomTranslation(0.15, 0.15)])
