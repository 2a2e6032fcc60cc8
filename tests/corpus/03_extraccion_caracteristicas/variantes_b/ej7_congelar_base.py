def congelar_base(modelo):
    modelo.layers[0].trainable = False
    return compilar(modelo)
