def cargar_tabla(ruta):
    raise NotImplementedError()
