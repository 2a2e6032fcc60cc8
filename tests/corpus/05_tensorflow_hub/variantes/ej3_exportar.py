#: tf_keras' own SavedModel format is also a reusable SavedModel
clasificador.save(str(CARPETA_EXPORTACION), save_format='tf')
