#: ej1: default read_csv: year (and weight_layers) become float64 because of the gaps
def cargar_tabla(ruta):
    return pd.read_csv(ruta)
