// The one translation unit that compiles Asio's, Asio SSL's and Beast's
// implementation (see BOOST_*_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
