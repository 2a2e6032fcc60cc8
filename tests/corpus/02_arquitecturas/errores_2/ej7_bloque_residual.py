#: ej7: missing shortcut
def bloque_residual(x, filtros, stride=1):
    y = layers.Conv2D(filtros, 3, strides=stride, padding='same')(x)
    y = layers.Activation('relu')(layers.BatchNormalization()(y))
    y = layers.Conv2D(filtros, 3, padding='same')(y)
    return layers.Activation('relu')(layers.BatchNormalization()(y))
