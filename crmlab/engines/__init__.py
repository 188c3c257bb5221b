"""Where a table can come from, and where the work runs.

The summaries of :mod:`crmlab.analysis` (:func:`~crmlab.analysis.rfm.rfm_summary`,
:func:`~crmlab.analysis.rfm.customer_summary`, the cohort matrices, the CLV calibration split)
take more than a pandas DataFrame:

* :mod:`.sources` -- a Parquet file or folder, an Arrow table or a DuckDB relation, read
  column by column, only the columns the summary needs (:func:`.sources.columns_of`,
  :func:`.sources.kind_of`);
* :mod:`.spark` -- a ``pyspark.sql.DataFrame``: the same call runs on Spark (local mode or a
  cluster) and returns the same pandas result; only the per-customer rows are collected.

docs/scale.md says when to switch and how to point the calls at a cluster or a warehouse.
"""

from .sources import columns_of, kind_of

__all__ = ["columns_of", "kind_of"]
