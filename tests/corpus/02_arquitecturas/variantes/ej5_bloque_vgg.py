#: a Sequential applied to the tensor (nested model)
def bloque_vgg(x, filtros, n_convs=2):
    capas = [layers.Conv2D(filtros, (3, 3), padding='same', activation='relu')
             for _ in range(n_convs)]
    return tf.keras.Sequential(capas + [layers.MaxPool2D()])(x)
