#: ej7: misplaced shortcut, added after the final ReLU (identity test alone passes)
def bloque_residual(x, filtros, stride=1):
    atajo = x
    y = layers.Conv2D(filtros, 3, strides=stride, padding='same')(x)
    y = layers.Activation('relu')(layers.BatchNormalization()(y))
    y = layers.Conv2D(filtros, 3, padding='same')(y)
    y = layers.Activation('relu')(layers.BatchNormalization()(y))
    if stride != 1 or x.shape[-1] != filtros:
        atajo = layers.Conv2D(filtros, 1, strides=stride)(x)
    return layers.add([y, atajo])
