#: ej2: hub.load gives a SavedModel object, not a Keras layer
def capa_base(handle):
    return hub.load(handle)
