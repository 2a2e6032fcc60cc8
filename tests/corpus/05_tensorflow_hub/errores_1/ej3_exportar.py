#: ej3: Keras 3 style model.export(): no __call__, hub.KerasLayer refuses it
clasificador.export(str(CARPETA_EXPORTACION))
