#: ej1: every layer unfrozen (BatchNormalization included)
def descongelar_bloque_superior(backbone, prefijo='block4'):
    backbone.trainable = True
    return backbone
