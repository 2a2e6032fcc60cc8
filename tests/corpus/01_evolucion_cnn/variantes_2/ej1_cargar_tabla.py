#: ej1: astype after reading
def cargar_tabla(ruta):
    t = pd.read_csv(ruta)
    return t.astype({'year': 'Int64', 'weight_layers': 'Int64'})
