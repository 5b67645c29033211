package synth

// item is one product of the shared retail catalog.
type item struct {
	name  string
	cents int64 // base unit price in cents, before the organisation's price level
}

// catalog returns the product catalog, most popular first: an item's
// popularity among the random items of a basket is proportional to
// 1/(rank+2), a Zipf-like law. Names contain no comma, quote or newline.
func catalog() []item {
	return []item{
		{"whole milk", 119}, {"sliced bread", 135}, {"bananas", 99}, {"free-range eggs", 259},
		{"butter", 219}, {"semi-skimmed milk", 109}, {"apples", 189}, {"potatoes", 149},
		{"onions", 89}, {"tomatoes", 169}, {"carrots", 69}, {"natural yoghurt", 129},
		{"cheddar", 329}, {"chicken breast", 499}, {"sparkling water", 59}, {"toilet paper", 449},
		{"cola", 179}, {"chocolate bar", 99}, {"orange juice", 199}, {"ground coffee", 449},
		{"lager beer", 699}, {"potato crisps", 149}, {"cornflakes", 239}, {"pork sausages", 289},
		{"spaghetti", 119}, {"tomato sauce", 179}, {"black tea", 259}, {"kitchen roll", 299},
		{"strawberry jam", 189}, {"plain flour", 109}, {"caster sugar", 129}, {"lettuce", 79},
		{"cucumber", 69}, {"garlic", 49}, {"ham", 249}, {"bacon", 299},
		{"frozen peas", 119}, {"frozen pizza", 349}, {"ice cream", 399}, {"baked beans", 89},
		{"chopped tomatoes", 69}, {"red wine", 899}, {"white wine", 849}, {"basmati rice", 249},
		{"mozzarella", 139}, {"parmesan", 379}, {"olive oil", 599}, {"coffee filters", 159},
		{"digestive biscuits", 129}, {"lemons", 109}, {"honey", 349}, {"tortilla wraps", 149},
		{"minced beef", 449}, {"salsa dip", 199}, {"sour cream", 119}, {"salted peanuts", 179},
		{"burger buns", 129}, {"ketchup", 199}, {"charcoal", 799}, {"feta", 229},
		{"brie", 299}, {"crackers", 159}, {"red grapes", 249}, {"curry paste", 229},
		{"coconut milk", 139}, {"naan bread", 149}, {"baking powder", 99}, {"fresh basil", 119},
		{"washing-up liquid", 149}, {"sponges", 99}, {"bin bags", 249}, {"bleach", 119},
		{"nappies", 1099}, {"baby wipes", 249}, {"baby food pouches", 129}, {"dry dog food", 1499},
		{"dog treats", 349}, {"shampoo", 399}, {"conditioner", 399}, {"toothpaste", 249},
		{"salmon fillet", 649}, {"tuna tins", 299}, {"peanut butter", 279}, {"oat milk", 179},
		{"granola", 329}, {"avocados", 199}, {"blueberries", 299}, {"mushrooms", 129},
		{"broccoli", 89}, {"croissants", 189}, {"hummus", 149}, {"laundry detergent", 899},
		{"cat food", 549}, {"cat litter", 499}, {"batteries", 599}, {"prosecco", 1099},
		{"flowers bouquet", 1299}, {"birthday card", 249}, {"vitamins", 749}, {"sun cream", 849},
		{"light bulbs", 499}, {"kitchen knife", 2499}, {"frying pan", 3499}, {"coffee machine", 8999},
	}
}

// Theme is a recipe or shopping mission: a set of items bought together.
// Baskets built around a theme give association rules their signal.
type Theme struct {
	Name  string   // lower-case, dash-separated
	Items []string // catalog item names
}

// Themes returns the shopping themes baskets are built from. Profile
// ThemeWeights refer to themes by Name.
func Themes() []Theme {
	return []Theme{
		{"pasta-night", []string{"spaghetti", "tomato sauce", "parmesan", "fresh basil"}},
		{"coffee-break", []string{"ground coffee", "coffee filters", "whole milk"}},
		{"game-night", []string{"lager beer", "potato crisps", "salsa dip", "salted peanuts"}},
		{"baking", []string{"plain flour", "caster sugar", "free-range eggs", "butter", "baking powder"}},
		{"breakfast", []string{"sliced bread", "butter", "strawberry jam", "orange juice"}},
		{"tea-time", []string{"black tea", "digestive biscuits", "lemons", "honey"}},
		{"taco-night", []string{"tortilla wraps", "minced beef", "cheddar", "salsa dip", "sour cream"}},
		{"baby-care", []string{"nappies", "baby wipes", "baby food pouches"}},
		{"cleaning", []string{"washing-up liquid", "sponges", "bin bags", "bleach"}},
		{"barbecue", []string{"pork sausages", "burger buns", "ketchup", "charcoal", "lager beer"}},
		{"salad", []string{"lettuce", "tomatoes", "cucumber", "olive oil", "feta"}},
		{"wine-and-cheese", []string{"red wine", "brie", "crackers", "red grapes"}},
		{"cereal-breakfast", []string{"cornflakes", "semi-skimmed milk", "bananas"}},
		{"curry-night", []string{"basmati rice", "chicken breast", "curry paste", "coconut milk", "naan bread"}},
		{"dog-owner", []string{"dry dog food", "dog treats"}},
		{"bathroom", []string{"shampoo", "conditioner", "toothpaste"}},
	}
}
