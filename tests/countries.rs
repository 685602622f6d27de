//! The billing portal's country list (`www/src/countries.ts`) is exactly the list the server's
//! `Country::parse` accepts: every code it shows is taken, and it shows every code taken.

#[test]
fn the_portals_countries_are_the_servers() {
    let ts = include_str!("../www/src/countries.ts");
    let start = ts.find("const CODES =").expect("CODES");
    let end = start + ts[start..].find(';').expect("the list ends");
    let codes: String = ts[start..end].split('"').skip(1).step_by(2).collect();
    let shown: Vec<&str> = (0..codes.len() / 2)
        .map(|i| &codes[2 * i..2 * i + 2])
        .collect();
    for c in &shown {
        assert!(
            drawdown::tax::Country::parse(c).is_some(),
            "{c} is not a country the server takes"
        );
    }
    let letters = b'A'..=b'Z';
    let taken = letters
        .clone()
        .flat_map(|a| {
            letters
                .clone()
                .map(move |b| String::from_utf8(vec![a, b]).unwrap())
        })
        .filter(|c| drawdown::tax::Country::parse(c).is_some())
        .count();
    assert_eq!(shown.len(), taken);
}
