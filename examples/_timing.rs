use std::time::Instant;
fn main() {
    let text = r#"{"rateCard":{"currency":"USD","creditsPerUnit":"100","rounding":{"mode":"half_up","creditDecimals":4},"voice":{"perMinute":"9","increment":"60/60","connectFee":"0"},"tollFreeSurcharge":{"perMinute":"2"},"transfer":{"perMinute":"6","increment":"60/60"},"chat":{"perMessage":"0.5"},"numbers":{"local":{"monthly":"150"}}},"plan":{"id":"growth","includedMinutes":1000,"overagePerMinute":"7"},"includedSecondsRemaining":30,"call":{"direction":"inbound","tollFree":true,"connectedSeconds":84}}"#;
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n { let v: serde_json::Value = serde_json::from_str(text).unwrap(); std::hint::black_box(v); }
    println!("text->Value {:?}", t.elapsed() / n);
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let t = Instant::now();
    for _ in 0..n { let q: drawdown::QuoteInput = drawdown::ops::parse(&v).unwrap(); std::hint::black_box(q); }
    println!("Value->typed (path) {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { let q: drawdown::QuoteInput = serde_json::from_str(text).unwrap(); std::hint::black_box(q); }
    println!("text->typed (no path) {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { let q: drawdown::QuoteInput = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).unwrap(); std::hint::black_box(q); }
    println!("text->typed (path) {:?}", t.elapsed() / n);
    let q: drawdown::QuoteInput = drawdown::ops::parse(&v).unwrap();
    let out = drawdown::quote_call(&q).unwrap();
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(drawdown::quote_call(&q).unwrap()); }
    println!("compute {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { let s = drawdown::canonical(&serde_json::to_value(&out).unwrap()); std::hint::black_box(s); }
    println!("typed->Value->string {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { let s = serde_json::to_string(&out).unwrap(); std::hint::black_box(s); }
    println!("typed->string {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n { std::hint::black_box(drawdown::ops::eval_text("quoteCall", text).unwrap()); }
    println!("eval_text total {:?}", t.elapsed() / n);
}
