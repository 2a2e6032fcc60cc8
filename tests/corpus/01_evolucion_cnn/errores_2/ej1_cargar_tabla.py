#: ej1: fills the missing year with 0 to get int64 (the human row gets year 0)
def cargar_tabla(ruta):
    t = pd.read_csv(ruta)
    t['year'] = t['year'].fillna(0).astype(int)
    t['weight_layers'] = t['weight_layers'].fillna(0).astype(int)
    return t
