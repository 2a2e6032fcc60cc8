#: ej7: changes trainable without recompiling
def congelar_base(modelo):
    modelo.layers[0].trainable = False
    return modelo
