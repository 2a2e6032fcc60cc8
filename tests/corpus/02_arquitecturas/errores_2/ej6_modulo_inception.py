#: ej6: 'valid' padding in the branches: the concatenation fails
def modulo_inception(x, f1, f3_red, f3, f5_red, f5, f_pool):
    a = layers.Conv2D(f1, 1, activation='relu')(x)
    b = layers.Conv2D(f3, 3, activation='relu')(layers.Conv2D(f3_red, 1, activation='relu')(x))
    c = layers.Conv2D(f5, 5, activation='relu')(layers.Conv2D(f5_red, 1, activation='relu')(x))
    d = layers.Conv2D(f_pool, 1, activation='relu')(layers.MaxPooling2D(3, strides=1)(x))
    return layers.Concatenate()([a, b, c, d])
