#: functional API, ReLU as a layer, MaxPool2D alias
def etapa_alexnet(forma_entrada=(227, 227, 3)):
    entrada = tf.keras.Input(shape=forma_entrada)
    x = layers.Conv2D(filters=96, kernel_size=(11, 11), strides=(4, 4))(entrada)
    x = layers.MaxPool2D(pool_size=(3, 3), strides=(2, 2))(layers.ReLU()(x))
    return tf.keras.Model(entrada, layers.Dropout(rate=0.5)(x))
