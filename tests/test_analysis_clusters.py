"""Clustering helpers: hand-checked on tiny frames; on the generic company (the course's before it became the
Iranian retailer), the planted web-versus-store preference comes back as clusters, and unscaled features give
clusters that follow money only; on the course's Iranian retailer, Instagram and Telegram shoppers form clusters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

import crmlab
from crmlab.analysis import clusters, rfm
from crmlab.analysis.clusters import (
    FEATURES,
    LOG_FEATURES,
    category_mix,
    channel_mix,
    channel_share_by_cluster,
    cluster_pipeline,
    cluster_profile,
    customer_features,
    k_chart,
    k_scores,
    name_clusters,
    preprocessor,
    profile_heatmap,
    standardised_profile,
)
from crmlab.analysis.clusters.model import _silhouettes
from crmlab.conventions import COURSE
from crmlab.datasets.crm import CRM

# ---------------------------------------------------------------- features, by hand


def test_channel_mix_by_hand():
    orders = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 3], "channel": ["web", "web", "store", "mail", "field_sales",
                                                                       "call_centre"]})  # fmt: skip
    mix = channel_mix(orders)
    assert mix.columns.tolist() == ["share_web", "share_store", "share_call_centre", "share_field_sales"]
    assert mix.loc[1].tolist() == [0.5, 0.25, 0.0, 0.0]  # the mail order counts in no column
    assert mix.loc[2, "share_field_sales"] == 1.0 and mix.loc[3, "share_call_centre"] == 1.0
    with pytest.raises(KeyError, match="`channel` must be a column of `orders`"):
        channel_mix(orders.drop(columns="channel"))


def test_category_mix_by_hand():
    orders = pd.DataFrame({"order_id": [10, 11, 12], "customer_id": [1, 1, 2]})
    lines = pd.DataFrame({"order_id": [10, 10, 11, 12, 99], "product_id": [100, 200, 200, 100, 100],
                          "quantity": [1, 2, 1, 3, 5], "unit_price_cents": [1000, 500, 500, 1000, 1000],
                          "discount_cents": [200, 0, 100, 0, 0]})  # fmt: skip
    products = pd.DataFrame({"product_id": [100, 200], "category_id": [2, 1]})
    categories = pd.DataFrame({"category_id": [1, 2, 3], "name": ["Laptops", "Accessories", "Services"]})
    mix = category_mix(orders, lines, products, categories)
    assert mix.columns.tolist() == ["Laptops", "Accessories", "Services"]
    # customer 1: laptops 2 * 500 + (500 - 100) = 1400, accessories 1000 - 200 = 800; order 99 is not theirs
    np.testing.assert_allclose(mix.loc[1].to_numpy(), [1400 / 2200, 800 / 2200, 0.0])
    assert mix.loc[2].tolist() == [0.0, 1.0, 0.0]


#: The generic company's conventions (the course's before the flip): US cents, Tehran's clock.
GENERIC = dataclasses.replace(COURSE, currency="USD", minor_unit=2)


@pytest.fixture(scope="module")
def crm():
    """The generic company, whose four purchase channels are the model's :data:`FEATURES` (web, store, call centre,
    field sales): the tests of the planted web-versus-store preference below pin what holds on its draw."""
    return crmlab.generate_crm(market="generic")


@pytest.fixture(scope="module")
def features(crm):
    return customer_features(crm, conventions=GENERIC)


def test_customer_features_on_the_course_data():
    """The course's company, the Iranian retailer (datasets/crm): every sales channel gets a share, money in rials."""
    crm = crmlab.load_crm(tables=["orders", "order_lines", "products", "categories", "customers"])
    features = customer_features(crm)
    done = crm.orders[crm.orders["status"] == "completed"]
    assert len(features) == done["customer_id"].nunique() == 2847  # snapshot: customers with a purchase
    assert features.columns.tolist() == [*clusters.model_columns(features)[:-1], "addon_share", "online_share"]
    assert features["n_orders"].sum() == len(done)
    assert features["total_spend"].sum() == done["total_cents"].sum()  # whole rials: nothing to divide
    shares = features[[f"share_{c}" for c in done["channel"].unique()]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)


def test_customer_features_on_the_generic_company(crm, features):
    done = crm.orders[crm.orders["status"] == "completed"]
    assert features.index.name == "customer_id" and features.index.is_monotonic_increasing
    assert len(features) == done["customer_id"].nunique() == 2850  # snapshot: customers with a purchase
    assert features.columns.tolist() == [*FEATURES, "online_share"]
    assert features["n_orders"].sum() == len(done)
    assert features["total_spend"].sum() == pytest.approx(done["total_cents"].sum() / 100)  # cents to dollars
    shares = features[[f"share_{c}" for c in clusters.PURCHASE_CHANNELS]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert features["addon_share"].between(0, 1).all()
    no_web_or_store = (features["share_web"] + features["share_store"]) == 0
    assert features["online_share"].isna().equals(no_web_or_store)
    local = done.assign(ordered_local=done["ordered_at"].dt.tz_convert("Asia/Tehran"))
    summary = rfm.customer_summary(local, datetime_col="ordered_local", as_of="2025-12-31")
    assert (features["days_since_last_order"] == summary["days_since_last_order"]).all()
    assert features[list(FEATURES)].notna().all().all()


def _in(currency: str, minor_unit: int):
    return dataclasses.replace(COURSE, currency=currency, minor_unit=minor_unit)


@pytest.mark.parametrize(("currency", "minor_unit", "expected"), [
    ("GBP", 2, [1234.57, 8.0]),         # 123,457 pence; 500 + 300 pence
    ("IRR", 0, [123457.0, 800.0]),      # rials have no minor unit: never divided by 100
    ("BHD", 3, [123.457, 0.8]),         # 123,457 fils
])  # fmt: skip
def test_total_spend_is_in_the_major_unit_of_the_data_currency(currency, minor_unit, expected):
    orders = pd.DataFrame({"customer_id": [1, 2, 2, 2], "ordered_at": pd.to_datetime(
        ["2025-03-01 10:00", "2025-03-02 10:00", "2025-03-03 10:00", "2025-03-04 10:00"], utc=True),
        "status": ["completed", "completed", "completed", "cancelled"], "total_cents": [123_457, 500, 300, 9_999]})
    features = customer_features(CRM({"orders": orders}), conventions=_in(currency, minor_unit))
    assert features["total_spend"].tolist() == expected


@pytest.mark.parametrize(("currency", "minor_unit", "texts"), [
    ("GBP", 2, ["GBP 1,235", "GBP 8"]),       # 1,234.57 pounds, rounded to the pound
    ("IRR", 0, ["IRR 123,457", "IRR 800"]),
    ("BHD", 3, ["BHD 123", "BHD 1"]),          # 123.457 and 0.8 dinars
])  # fmt: skip
def test_profile_heatmap_writes_money_in_the_data_currency(currency, minor_unit, texts):
    orders = pd.DataFrame({"customer_id": [1, 2, 2], "ordered_at": pd.to_datetime(
        ["2025-03-01 10:00", "2025-03-02 10:00", "2025-03-03 10:00"], utc=True),
        "status": "completed", "total_cents": [123_457, 500, 300]})
    conventions = _in(currency, minor_unit)
    profile = customer_features(CRM({"orders": orders}), conventions=conventions)[["n_orders", "total_spend"]]
    z = (profile - profile.mean()) / profile.std()
    ax = profile_heatmap(z, profile, conventions=conventions)
    assert [t.get_text() for t in ax.texts] == ["1.0", texts[0], "2.0", texts[1]]


def test_planted_web_or_store_preference_on_a_big_crm():
    """Each customer has a web-versus-store preference: shares pile up at 0 and 1, far beyond chance."""
    big = crmlab.generate_crm(n_customers=20_000, seed=11)  # the Iranian retailer: online is web, Instagram, Telegram
    f = customer_features(big)
    done = big.orders[big.orders["status"] == "completed"]
    n = done[done["channel"].isin(["web", "store"])].groupby("customer_id").size().reindex(f.index, fill_value=0)
    enough = n >= 4
    one_sided = f.loc[enough, "online_share"].isin([0.0, 1.0]).mean()
    p = (done["channel"] == "web").sum() / done["channel"].isin(["web", "store"]).sum()
    by_chance = (p ** n[enough] + (1 - p) ** n[enough]).mean()  # everyone with the same web rate p
    assert one_sided > 0.55 and by_chance < 0.1  # measured: 0.66 against 0.05


# ---------------------------------------------------------------- the model


def test_preprocessor_by_hand():
    X = pd.DataFrame({"n_orders": [0.0, np.e - 1, np.e**2 - 1], "share_web": [0.0, 0.5, 1.0], "note": list("abc")},
                     index=pd.Index([7, 8, 9], name="customer_id"))  # fmt: skip
    out = preprocessor(["n_orders", "share_web"], ["n_orders"]).fit_transform(X)
    assert out.columns.tolist() == ["n_orders", "share_web"] and out.index.tolist() == [7, 8, 9]
    expected = np.array([-1.0, 0.0, 1.0]) * np.sqrt(1.5)  # log1p gives 0, 1, 2: standardised with the population std
    np.testing.assert_allclose(out["n_orders"], expected)
    np.testing.assert_allclose(out["share_web"], expected)


def test_the_pipeline_follows_scikit_learn_conventions(features):
    pipe = cluster_pipeline(3, random_state=4, n_init=2)
    assert clone(pipe).get_params()["kmeans__random_state"] == 4 and pipe.get_params()["kmeans__n_init"] == 2
    assert pipe.fit(features) is pipe
    assert pipe[-1].cluster_centers_.shape == (3, len(FEATURES))
    distances = pipe.transform(features)  # set_output(transform="pandas"): a DataFrame keyed by customer
    assert isinstance(distances, pd.DataFrame) and distances.index.equals(features.index)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda f: cluster_pipeline(1), ValueError, r"`n_clusters` must be a whole number of at least 2, but 1"),
    (lambda f: cluster_pipeline(2.5), ValueError, r"but 2.5 was passed"),
    (lambda f: k_scores(f, ks=[1, 2]), ValueError, r"`ks` must be whole numbers of at least 2, but \[1\]"),
    (lambda f: k_scores(f.drop(columns="addon_share")), KeyError, r"\['addon_share'\] are missing"),
    (lambda f: k_scores(f.assign(n_orders=np.nan)), ValueError, "missing values"),
    (lambda f: k_scores(f.to_numpy()), TypeError, "`features` must be a pandas DataFrame, but a ndarray"),
    (lambda f: cluster_profile(f, [0, 1]), ValueError, r"`labels` has 2 values but `features` has 2850 rows"),
])
def test_clear_errors(features, call, error, match):
    with pytest.raises(error, match=match):
        call(features)


@pytest.fixture(scope="module")
def scores(features):
    return k_scores(features)


@pytest.fixture(scope="module")
def fitted(features, scores):
    k = int(scores["silhouette"].idxmax())
    labels = cluster_pipeline(k).fit(features).predict(features)
    z = standardised_profile(features, labels)
    return k, labels, name_clusters(z)


def test_choosing_k_on_the_generic_company(features, scores):
    assert scores.index.tolist() == list(range(2, 10))
    assert scores["inertia"].is_monotonic_decreasing
    assert int(scores["silhouette"].idxmax()) == 5 and scores["silhouette"].max() == pytest.approx(0.319, abs=0.01)
    sampled = k_scores(features, ks=[5], sample_size=1000)
    assert sampled.loc[5, "silhouette"] == pytest.approx(scores.loc[5, "silhouette"], abs=0.03)
    assert sampled.loc[5, "inertia"] == scores.loc[5, "inertia"]


@pytest.mark.parametrize("sample_size", [None, 700])
def test_silhouettes_equal_scikit_learns_on_the_same_sample(features, sample_size):
    """k_scores computes every k's silhouette from one pass over the distances; the oracle is
    sklearn.metrics.silhouette_score on the same labels, with the same sample (same seed)."""
    ks = [2, 4, 7]
    ours = k_scores(features, ks=ks, sample_size=sample_size, random_state=3)
    scaled = preprocessor(FEATURES, LOG_FEATURES).fit_transform(features)
    for k in ks:
        labels = KMeans(n_clusters=k, n_init=10, random_state=3).fit(scaled).labels_
        expected = silhouette_score(scaled, labels, sample_size=sample_size, random_state=3)
        assert ours.loc[k, "silhouette"] == pytest.approx(expected, rel=1e-12, abs=1e-15), k


def test_a_point_alone_in_its_cluster_scores_zero_as_in_scikit_learn():
    points = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [10.0, 10.0], [10.0, 11.0]])
    labels = [np.array([0, 0, 1, 2, 2]), np.array([5, 5, 9, 9, 9])]  # any label values, a singleton
    assert _silhouettes(points, labels) == pytest.approx([silhouette_score(points, lab) for lab in labels], rel=1e-12)
    with pytest.raises(ValueError, match="2 to n_samples - 1 clusters"):
        _silhouettes(points, [np.zeros(5, int)])


def test_clusters_are_reproducible(features, fitted):
    k, labels, _ = fitted
    again = cluster_pipeline(k).fit(features).predict(features)
    assert (again == labels).all()
    other_seed = cluster_pipeline(k, random_state=7).fit(features).predict(features)
    assert adjusted_rand_score(labels, other_seed) > 0.99  # a stable solution, whatever the numbering


def test_the_planted_preference_comes_back_as_clusters(crm, features, fitted):
    _, labels, names = fitted
    assert set(names) == {"Web shoppers", "Store shoppers", "Phone orderers", "Field-sales accounts", "Add-on buyers"}
    cluster = pd.Series(names.to_numpy()[labels], index=features.index)
    done = crm.orders[crm.orders["status"] == "completed"]
    shares = channel_share_by_cluster(done, cluster)
    assert shares.loc["Web shoppers", "web"] > 0.8 and shares.loc["Store shoppers", "store"] > 0.75
    assert shares.loc["Phone orderers", "call_centre"] > 0.75
    assert shares.loc["Field-sales accounts", "field_sales"] > 0.6
    sizes = cluster.value_counts(normalize=True)
    assert sizes["Web shoppers"] > 0.25 and sizes["Store shoppers"] > 0.25
    kind = crm.customers.set_index("customer_id")["segment"].reindex(features.index)
    business = (kind != "consumer").groupby(cluster).mean()
    assert business.idxmax() == "Field-sales accounts" and business.max() > 0.6
    assert features.groupby(cluster)["addon_share"].mean().idxmax() == "Add-on buyers"


def test_clusters_and_rfm_segments_answer_different_questions(crm, features, fitted):
    _, labels, _ = fitted
    done = crm.orders[crm.orders["status"] == "completed"]
    local = done.assign(ordered_local=done["ordered_at"].dt.tz_convert("Asia/Tehran"))
    segment = rfm.rfm_table(rfm.customer_summary(local, datetime_col="ordered_local", as_of="2025-12-31"))["segment"]
    assert abs(adjusted_rand_score(segment.reindex(features.index), labels)) < 0.1


def test_unscaled_features_give_clusters_that_follow_money_only(features):
    raw = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(features[list(FEATURES)])
    profile = cluster_profile(features, raw).drop(index="all")
    assert profile["total_spend"].max() > 10 * profile["total_spend"].min()
    big = profile["customers"] >= 100
    assert (profile.loc[big, "share_web"] - features["share_web"].mean()).abs().max() < 0.05
    assert (profile.loc[big, "share_store"] - features["share_store"].mean()).abs().max() < 0.05
    spend_order = profile["total_spend"].rank()
    assert (spend_order == profile["n_orders"].rank()).all()  # the bands are spending bands


# ---------------------------------------------------------------- profiles and names


def test_cluster_profile_by_hand():
    X = pd.DataFrame({"n_orders": [1, 3, 10, 12], "share": [0.0, 0.5, 1.0, np.nan]},
                     index=pd.Index([5, 6, 7, 8], name="customer_id"))  # fmt: skip
    out = cluster_profile(X, np.array([1, 1, 0, 0]))
    assert out.index.tolist() == [0, 1, "all"]
    assert out["customers"].tolist() == [2, 2, 4] and out["share_of_customers"].tolist() == [0.5, 0.5, 1.0]
    assert out["n_orders"].tolist() == [11.0, 2.0, 6.5]
    assert out["share"].tolist() == [1.0, 0.25, 0.5]  # missing values skipped


def test_standardised_profile_is_the_kmeans_view(features, fitted):
    k, labels, _ = fitted
    z = standardised_profile(features, labels)
    model = cluster_pipeline(k).fit(features)
    np.testing.assert_allclose(np.sort(z.to_numpy(), axis=0), np.sort(model[-1].cluster_centers_, axis=0), atol=1e-6)
    weights = pd.Series(labels).value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(z.mul(weights, axis=0).sum(), 0, atol=1e-9)  # the average customer is at 0


def test_name_clusters_by_hand():
    z = pd.DataFrame({"share_web": [2.0, -1.0, -1.0, -1.0], "share_store": [-1.0, 1.5, 1.2, 1.1],
                      "days_since_last_order": [0.1, 0.9, -0.8, -0.7], "n_orders": [0.0, 0.0, 0.0, 0.2]})
    assert name_clusters(z).tolist() == [
        "Web shoppers", "Store shoppers (lapsed)", "Store shoppers (recent) #2", "Store shoppers (recent) #3"]
    with pytest.raises(KeyError, match="none of the trait columns"):
        name_clusters(pd.DataFrame({"x": [1.0]}))


def test_channel_share_by_cluster_is_a_ratio_of_sums():
    orders = pd.DataFrame({"customer_id": [1] * 9 + [2, 3], "channel": ["web"] * 9 + ["store", "web"]})
    labels = pd.Series({1: "A", 2: "A", 3: "B"})
    shares = channel_share_by_cluster(orders, labels, ["web", "store"])
    assert shares.loc["A"].tolist() == [0.9, 0.1]  # not (1 + 0) / 2: customer 1's nine orders count nine times
    assert shares.loc["B"].tolist() == [1.0, 0.0]
    with pytest.raises(TypeError, match="`labels` must be a pandas Series"):
        channel_share_by_cluster(orders, [0, 1])


# ---------------------------------------------------------------- charts


def test_k_chart_marks_the_best_silhouette(scores):
    axes = k_chart(scores)
    assert axes[1].get_title() == "Silhouette: best at k = 5"
    assert axes[1].lines[1].get_xdata().tolist() == [5]
    assert axes[0].lines[0].get_ydata().tolist() == scores["inertia"].tolist()


def test_profile_heatmap_prints_business_units(features, fitted):
    _, labels, names = fitted
    z = standardised_profile(features, labels)
    profile = cluster_profile(features, labels)
    ax = profile_heatmap(z.set_axis(names), profile.loc[z.index].set_axis(names), conventions=GENERIC)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == len(z) * len(FEATURES)
    first = profile.loc[0]
    assert texts[:3] == [f"{first['days_since_last_order']:.0f} d", f"{first['n_orders']:.1f}",
                         f"USD {first['total_spend']:,.0f}"]  # fmt: skip
    assert not any("$" in t for t in texts)
    assert texts[3] == f"{first['share_web']:.0%}"
    assert [t.get_text() for t in ax.get_yticklabels()] == names.tolist()


# ---------------------------------------------------------------- a company that also sells on Instagram and Telegram


@pytest.fixture(scope="module")
def iran_features():
    crm = crmlab.generate_crm(n_customers=5_000, seed=11, market="iran")
    return crm, clusters.customer_features(crm)


def test_every_channel_of_the_data_gets_a_share(iran_features):
    crm, features = iran_features
    shares = [c for c in features.columns if c.startswith("share_")]
    assert shares == ["share_web", "share_store", "share_call_centre", "share_field_sales", "share_instagram",
                      "share_telegram"]  # fmt: skip
    np.testing.assert_allclose(features[shares].sum(axis=1), 1.0)
    # by hand from the orders: customer by customer, Instagram orders over purchases
    done = crm.orders[crm.orders["status"] == "completed"]
    by_hand = (done["channel"] == "instagram").groupby(done["customer_id"]).mean()
    np.testing.assert_allclose(features["share_instagram"], by_hand.reindex(features.index))
    online = (done["channel"].isin(["web", "instagram", "telegram"])).groupby(done["customer_id"]).sum()
    store = (done["channel"] == "store").groupby(done["customer_id"]).sum()
    expected = (online / (online + store)).where(online + store > 0).reindex(features.index)
    np.testing.assert_allclose(features["online_share"], expected)


def test_the_model_columns_follow_the_data(iran_features, features):
    _, iran = iran_features
    assert clusters.model_columns(iran) == (*clusters.LOG_FEATURES, "share_web", "share_store", "share_call_centre",
                                            "share_field_sales", "share_instagram", "share_telegram", "addon_share")
    assert clusters.model_columns(features) == clusters.FEATURES  # the generic company: its four channels


def test_instagram_shoppers_form_their_own_cluster(iran_features):
    _, features = iran_features
    columns = clusters.model_columns(features)
    pipe = clusters.cluster_pipeline(7, features=columns).fit(features)
    labels = pd.Series(pipe.predict(features), index=features.index)
    z = clusters.standardised_profile(features, labels, columns=columns)
    names = clusters.name_clusters(z)
    assert "Instagram shoppers" in set(names)
    insta = names[names == "Instagram shoppers"].index[0]
    assert features.loc[labels == insta, "share_instagram"].mean() > 0.6


def test_lesson_06_optional_section_claims():
    """About a quarter of the orders on Instagram and Telegram; at the best k, a cluster for each platform."""
    crm = crmlab.generate_crm(market="iran")
    share = crm.orders["channel"].value_counts(normalize=True)
    assert share[["instagram", "telegram"]].sum() == pytest.approx(0.25, abs=0.04)
    features = clusters.customer_features(crm)
    columns = clusters.model_columns(features)
    scores = clusters.k_scores(features, ks=range(2, 10), columns=columns)
    k = int(scores["silhouette"].idxmax())
    labels = pd.Series(clusters.cluster_pipeline(k, features=columns).fit(features).predict(features),
                       index=features.index)  # fmt: skip
    names = clusters.name_clusters(clusters.standardised_profile(features, labels, columns=columns))
    assert {"Instagram shoppers", "Telegram shoppers"} <= set(names)
    for platform in ("instagram", "telegram"):
        cluster = names[names == f"{platform.capitalize()} shoppers"].index[0]
        assert features.loc[labels == cluster, f"share_{platform}"].mean() > 0.6  # by hand from the features
