#: ej1: convert_dtypes (nullable Int64/Float64/string for everything)
def cargar_tabla(ruta):
    return pd.read_csv(ruta).convert_dtypes()
