#: ej8: include_top=False (not the full model)
def construir_aplicacion(nombre):
    return getattr(tf.keras.applications, nombre)(weights=None, include_top=False)
