#: ej3: exported to the wrong folder (forgot the version level)
tf.saved_model.save(clasificador, str(CARPETA_MODELOS / 'clasificador_destino'))
