-- wrk: a distinct URL each request. BENCH_MODE (via wrk's args) picks which:
--   bypass  /platforms.json?r=<random>  (a parameter the page does not read)
--   storm   /?q=<2 letters>&need=...&sort=...  (distinct valid list filters)
-- Loaded after report.lua's functions by bench/run.py (it concatenates the two).
local needs = {"baa", "e2ee", "waiting-room", "browser-join"}
local sorts = {"name", "needs", "verified"}
local mode = "bypass"
local counter = 0

function init(args)
  non2xx = 0
  mode = args[1] or "bypass"
  math.randomseed(os.time() + math.random(1, 1000000))
end

function request()
  counter = counter + 1
  if mode == "bypass" then
    return wrk.format("GET", "/platforms.json?r=" .. math.random(1, 1e9) .. "-" .. counter)
  end
  local q = string.char(96 + math.random(1, 26)) .. string.char(96 + math.random(1, 26))
  local path = "/?q=" .. q .. "&sort=" .. sorts[math.random(1, #sorts)]
  for _, need in ipairs(needs) do
    if math.random() < 0.5 then path = path .. "&need=" .. need end
  end
  return wrk.format("GET", path)
end
