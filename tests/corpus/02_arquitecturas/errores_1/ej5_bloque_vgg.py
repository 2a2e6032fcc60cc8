#: ej5: wrong filter counts (doubles the filters at each convolution)
def bloque_vgg(x, filtros, n_convs=2):
    for i in range(n_convs):
        x = layers.Conv2D(filtros * (i + 1), 3, padding='same', activation='relu')(x)
    return layers.MaxPooling2D(2)(x)
