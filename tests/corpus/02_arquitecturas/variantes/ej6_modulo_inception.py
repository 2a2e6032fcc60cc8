#: other branch order, tf.concat instead of a Concatenate layer
def modulo_inception(x, f1, f3_red, f3, f5_red, f5, f_pool):
    def conv(t, f, k):
        return layers.Conv2D(f, k, padding='same', activation='relu')(t)
    ramas = [conv(layers.MaxPool2D(3, strides=1, padding='same')(x), f_pool, 1),
             conv(conv(x, f5_red, 1), f5, 5), conv(conv(x, f3_red, 1), f3, 3), conv(x, f1, 1)]
    return tf.concat(ramas, axis=-1)
