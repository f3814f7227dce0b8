"""Turn ExoFOP SG1 ground-based photometry into TRICERATOPS+ external light curves (reference §4).

TRICERATOPS+ (``external_lc_files=[...]``, ``filt_lcs=[...]``) wants, per file, three whitespace-separated
columns without a header: days from mid-transit, normalised flux, flux error; times sorted and unique; a
filter among ``g, r, i, z, J, H, K``; at most 7 files. Its model has no baseline term: the out-of-transit
level must be 1 and the data detrended.

A file's way through, one module a step; each imports only modules listed above it:

- ``filters``: the band → TRICERATOPS+ filter, from the argument, the file name or the summary row;
- ``tables``: the time, flux and error columns of an AstroImageJ or simpler photometry table;
- ``stats``: median and robust scatter;
- ``timing``: days from mid-transit (fold, sort, de-duplicate), in and out of transit;
- ``detrending``: ``--detrend airmass|linear``, fitted out of transit;
- ``normalisation``: ``--normalize oot|median|none`` and the out-of-transit level check;
- ``keep``: which curves to pass when there are more than 7 (``KEEP_RULE``);
- ``lightcurve``: ``ExternalLightCurve`` and ``load_sg1_lightcurve``, one file through the steps above;
- ``finding``: which files of a manifest are light curves, or look like one but are not;
- ``collect``: a manifest → one ``LightCurveReport`` per file, ranked, optionally exported;
  ``lightcurves`` → the ``LightCurvesResult`` that ``exofop lightcurves`` shows.

The public names are the ones below; import them from ``exofop_cli.ops.lightcurves``.
"""

from .collect import LightCurveReport, LightCurvesResult, collect_lightcurves, find_lightcurves, lightcurves
from .detrending import DETRENDS, Detrending
from .filters import TRICERATOPS_PLUS_FILTERS, triceratops_plus_filter_for
from .filters import band_from_filename as band_from_filename  # public, though never in __all__
from .keep import KEEP_RULE, MAX_TRICERATOPS_PLUS_FILES
from .lightcurve import ExternalLightCurve, load_sg1_lightcurve
from .normalisation import NORMALIZATIONS, OutOfTransit

__all__ = [
    "DETRENDS",
    "KEEP_RULE",
    "MAX_TRICERATOPS_PLUS_FILES",
    "NORMALIZATIONS",
    "TRICERATOPS_PLUS_FILTERS",
    "Detrending",
    "ExternalLightCurve",
    "LightCurveReport",
    "LightCurvesResult",
    "OutOfTransit",
    "collect_lightcurves",
    "find_lightcurves",
    "lightcurves",
    "load_sg1_lightcurve",
    "triceratops_plus_filter_for",
]
