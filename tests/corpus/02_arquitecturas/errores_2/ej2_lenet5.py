#: ej2: filter counts of C1 and C3 swapped
def lenet5():
    return tf.keras.Sequential([tf.keras.Input(shape=(32, 32, 1)),
        layers.Conv2D(16, 5, activation='tanh'), layers.AveragePooling2D(2),
        layers.Conv2D(6, 5, activation='tanh'), layers.AveragePooling2D(2),
        layers.Conv2D(120, 5, activation='tanh'), layers.Flatten(),
        layers.Dense(84, activation='tanh'), layers.Dense(10, activation='softmax')])
