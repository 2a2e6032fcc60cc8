#: `+`, no conv biases, BN on the projection, zero-initialised last gamma, ReLU layers
def bloque_residual(x, filtros, stride=1):
    atajo = x
    if stride != 1 or x.shape[-1] != filtros:
        atajo = layers.Conv2D(filtros, 1, strides=stride, use_bias=False)(x)
        atajo = layers.BatchNormalization()(atajo)
    y = layers.Conv2D(filtros, 3, strides=stride, padding='same', use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(filtros, 3, padding='same', use_bias=False)(y)
    y = layers.BatchNormalization(gamma_initializer='zeros')(y)
    return layers.ReLU()(y + atajo)
