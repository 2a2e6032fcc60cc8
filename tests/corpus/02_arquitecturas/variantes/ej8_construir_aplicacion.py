def construir_aplicacion(nombre):
    constructores = {'MobileNetV2': tf.keras.applications.MobileNetV2,
                     'ResNet50': tf.keras.applications.ResNet50,
                     'InceptionV3': tf.keras.applications.InceptionV3}
    return constructores[nombre](include_top=True, weights=None, classes=1000)
