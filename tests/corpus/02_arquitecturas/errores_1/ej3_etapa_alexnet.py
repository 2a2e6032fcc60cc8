#: ej3: forgets strides=4 (55x55 becomes 217x217)
def etapa_alexnet(forma_entrada=(227, 227, 3)):
    return tf.keras.Sequential([tf.keras.Input(shape=forma_entrada),
        layers.Conv2D(96, 11, activation='relu'), layers.MaxPooling2D(3, 2),
        layers.Dropout(0.5)])
