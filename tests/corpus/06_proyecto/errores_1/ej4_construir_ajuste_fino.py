#: ej4: unfreezes the base but does not recompile (Keras keeps training as before)
def construir_ajuste_fino(modelo, tasa_base):
    for capa in modelo.layers:
        if isinstance(capa, hub.KerasLayer):
            capa.trainable = True
    return modelo
