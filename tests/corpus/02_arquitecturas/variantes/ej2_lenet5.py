#: functional API, C5 as Flatten + Dense(120), tanh as tf.nn.tanh and as a layer
def lenet5():
    entrada = tf.keras.Input(shape=(32, 32, 1))
    x = layers.Conv2D(6, (5, 5), activation=tf.nn.tanh)(entrada)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Activation('tanh')(layers.Conv2D(16, (5, 5))(x))
    x = layers.Flatten()(layers.AveragePooling2D()(x))
    x = layers.Dense(120, activation='tanh')(x)
    x = layers.Dense(84, activation='tanh')(x)
    return tf.keras.Model(entrada, layers.Dense(10, activation='softmax')(x))
