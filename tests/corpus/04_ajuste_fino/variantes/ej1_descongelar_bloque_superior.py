#: ej1 by index: the last four layers are block4_conv1, block4_bn1, block4_relu1, features
def descongelar_bloque_superior(backbone, prefijo='block4'):
    backbone.trainable = True
    for capa in backbone.layers[:13]:  # el bloque superior empieza en la capa 13
        capa.trainable = False
    for capa in backbone.layers:
        if isinstance(capa, tf.keras.layers.BatchNormalization):
            capa.trainable = False
    return backbone
