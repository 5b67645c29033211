// Package synth generates the demo data of fednode demo: for each
// organisation of a made-up consortium, a customers.csv, a transactions.csv
// and a campaign.csv that satisfy the demo schemas (configs/schemas/demo-*.toml)
// and carry real signal for every federated job:
//
//   - churn prediction: the churned label follows a known logistic model;
//   - RFM segmentation and customer lifetime value: purchases follow a
//     BG/NBD process (see BGNBD);
//   - association rules: baskets are built around shopping themes (see
//     Themes);
//   - campaign evaluation: arm B converts better than arm A by a known lift
//     (see Campaign).
//
// The organisations are deliberately not identically distributed: each has
// its own Profile with its own size, ages, regions, channels, base churn
// rate, purchase process, basket themes, price level and campaign lift.
//
// # Churn model
//
// The probability that a customer has churned is logistic(η) with
//
//	η = β0 + 0.05·(age − 45) − 0.005·tenure_months
//	       + 1.0·[num_products = 1] − 0.3·(num_products − 1)
//	       − 1.3·is_active − 0.25·has_credit_card
//	       + 0.4·[channel = mobile] + 0.1·[channel = online]
//
// where β0 is Profile.ChurnIntercept and [x] is 1 when x holds. Balance,
// monthly spend and region have no effect. The built-in organisations churn
// at roughly 12% (alpine-bank), 30% (coastal-retail) and 20% (metro-bank).
//
// # Data
//
// Customers are described as of 2026-01-01; signup_date is tenure_months
// whole months and up to 27 days before that. Transactions fall in
// 2024-01-01 .. 2025-12-31, in store hours. About 0.5% of monthly_spend
// values are written as NA, the kind of dirt an ingest report should show.
// Names and emails are generated from short built-in lists, and emails use
// the reserved example.com, example.net and example.org domains.
//
// # Determinism
//
// Output depends on nothing but the Profile, including its Seed and Index:
// the same profile gives byte-identical files on every platform and Go
// release. Each file has its own PCG stream seeded from (Seed, Index, file);
// transactions.csv also replays the customers' stream, so the files agree
// without sharing state. All sampling uses platform-independent arithmetic
// (see fpmath.go). Files are written row by row, one customer at a time, so
// memory does not grow with their size.
//
// This package must never read real data. It reads no file, environment
// variable, clock or global random source, and it writes only the files it
// is asked to write.
package synth
