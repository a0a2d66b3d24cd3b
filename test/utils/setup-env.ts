// Dates in tests are UTC; a developer's .env never leaks into a suite.
process.env.TZ = 'UTC';
