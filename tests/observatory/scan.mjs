// Scores pages of a local HTTPS server with Mozilla's HTTP Observatory (the npm package
// @mdn/mdn-http-observatory, pinned in package.json): its retriever, its tests and its
// grading tables. Run by tests/config/test_observatory.py:
//
//   NODE_EXTRA_CA_CERTS=ca.pem node scan.mjs HOST HTTPS_PORT HTTP_PORT PATH...
//
// prints one JSON list: [{path, grade, score, failures: [{test, result, modifier}]}].
//
// The package's scan() does not pass its options (httpsPort, httpPort, path) on to its own
// retrieve() in 1.4.8, so it can only scan ports 443 and 80. This file calls retrieve()
// with them and then does exactly what scan() does with the result (the lines below
// follow src/scanner/index.js): run ALL_TESTS, add up the modifiers, count the bonuses
// only when the score without them is an A (MINIMUM_SCORE_FOR_EXTRA_CREDIT).
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import {
  getGradeForScore,
  getScoreModifier,
} from "@mdn/mdn-http-observatory/src/grader/grader.js";
import { retrieve } from "@mdn/mdn-http-observatory/src/retriever/retriever.js";
import { ALL_TESTS } from "@mdn/mdn-http-observatory/src/constants.js";

async function scanPage(hostname, options) {
  const r = await retrieve(hostname, options);
  if (!r.responses.auto) {
    throw new Error(`${options.path}: the site seems to be down`);
  }
  const { status } = r.responses.auto;
  if (status < 200 || (status >= 400 && ![401, 403].includes(status))) {
    throw new Error(`${options.path}: unexpected HTTP status ${status}`);
  }
  let withExtraCredit = 100;
  let uncurved = 100;
  const failures = [];
  for (const test of ALL_TESTS) {
    const result = test(r);
    if (!result.result) continue;
    const modifier = getScoreModifier(result.result);
    withExtraCredit += modifier;
    if (modifier < 0) {
      uncurved += modifier;
      failures.push({ test: result.constructor.name, result: result.result, modifier });
    }
  }
  const score = uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? withExtraCredit : uncurved;
  const final = getGradeForScore(score);
  return { path: options.path, status, grade: final.grade, score: final.score, failures };
}

const [hostname, httpsPort, httpPort, ...paths] = process.argv.slice(2);
const results = [];
for (const path of paths) {
  results.push(await scanPage(hostname, { httpsPort, httpPort, path }));
}
console.log(JSON.stringify(results));
