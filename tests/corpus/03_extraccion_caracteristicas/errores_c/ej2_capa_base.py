#: ej2: backbone left trainable
def capa_base(handle):
    return hub.KerasLayer(handle, trainable=True)
