#: ej4: the human reference line is missing
def graficar_error(tabla, ax=None):
    if ax is None:
        fig, ax = plt.subplots()
    d = tabla[tabla['model'] != HUMANO].dropna(subset=['year', 'top5_error_pct'])
    ax.scatter(d['year'], d['top5_error_pct'])
    for m, x, y in zip(d['model'], d['year'], d['top5_error_pct']):
        ax.annotate(m, (x, y))
    ax.set_xlabel('año')
    ax.set_ylabel('error top-5 (%)')
    return ax
