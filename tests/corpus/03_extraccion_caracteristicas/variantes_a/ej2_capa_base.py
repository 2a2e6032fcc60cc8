def capa_base(handle):
    return tlcourse.hub.keras_layer(handle, trainable=False)
